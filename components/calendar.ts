// systemd's OnCalendar grammar (systemd.time(7), src/shared/calendarspec.c), so a schedule the
// timer would refuse is refused at `pulumi preview`, before a server exists:
//
//   [WEEKDAYS] [[YEAR-]MONTH-DAY | MONTH~DAY] [HOUR:MINUTE[:SECOND]] [TIMEZONE]
//
// or a shorthand (daily, weekly, ...) with an optional time zone, or @EPOCH. Each numeric field
// is a comma list of `*`, N or N..M, each optionally followed by /STEP (not after `*`). The
// verdicts are compared with `systemd-analyze calendar` by a test.

const SHORTHANDS = ["minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly", "semiannually", "semi-annually", "biannually", "bi-annually"];
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** A numeric field's bounds; two-digit years mean 1970-2069, as systemd reads them. */
interface Field {
    readonly name: string;
    readonly min: number;
    readonly max: number;
    readonly fraction?: boolean;
}
const YEAR: Field = { name: "year", min: 1970, max: 2199 };
const MONTH: Field = { name: "month", min: 1, max: 12 };
const DAY: Field = { name: "day", min: 1, max: 31 };
const HOUR: Field = { name: "hour", min: 0, max: 23 };
const MINUTE: Field = { name: "minute", min: 0, max: 59 };
const SECOND: Field = { name: "second", min: 0, max: 59, fraction: true };

/** Why an OnCalendar expression is not one systemd accepts, or undefined when it is. */
export function calendarProblem(expression: string): string | undefined {
    if (expression !== expression.trim() || expression === "") return "it must not start or end with a space";
    if (expression.startsWith("@")) return /^@\d+$/.test(expression) ? undefined : "after @ comes a number of seconds since 1970";
    const words = expression.split(" ");
    if (words.some((word) => word === "")) return "its parts are separated by single spaces";
    if (words.length > 1 && isTimeZone(words[words.length - 1])) words.pop();
    if (words.length === 1 && SHORTHANDS.includes(words[0].toLowerCase())) return undefined;

    // The parts that are there, in their order: weekdays, date, time.
    const weekdays = words.length > 0 && /^[A-Za-z]/.test(words[0]) ? words.shift() : undefined;
    const date = words.length > 0 && /[-~]/.test(words[0]) && !words[0].includes(":") ? words.shift() : undefined;
    const time = words.length > 0 && words[0].includes(":") ? words.shift() : undefined;
    if (words.length === 1 && /^[A-Za-z]+\/[A-Za-z_+-]/.test(words[0])) return `"${words[0]}" is not a time zone systemd knows; use UTC or an IANA name such as Europe/Berlin`;
    if (words.length > 0) return `"${words[0]}" is not a weekday list, a date, a time or a time zone, in that order`;
    return (weekdays && weekdaysProblem(weekdays)) ?? (date && dateProblem(date)) ?? (time && timeProblem(time));
}

function isTimeZone(word: string): boolean {
    return word.toUpperCase() === "UTC" || word === "Etc/UTC" || /^Etc\/GMT[+-](1[0-4]|[0-9])$/.test(word) || Intl.supportedValuesOf("timeZone").includes(word);
}

function weekdayIndex(name: string): number {
    const lower = name.toLowerCase();
    return WEEKDAYS.findIndex((day) => lower === day || lower === day.slice(0, 3));
}

function weekdaysProblem(text: string): string | undefined {
    for (const item of text.split(",")) {
        const [from, to, ...rest] = item.split(/\.\.|-/);
        const [start, end] = [weekdayIndex(from), to === undefined ? undefined : weekdayIndex(to)];
        if (rest.length > 0 || start < 0 || end === -1) return `"${item}" is not a weekday (Mon, Tuesday, ...) or a range of them (Mon..Fri)`;
        if (end !== undefined && end < start) return `the weekday range ${item} runs backwards; write it from Monday's side (Mon..Fri, Sat,Sun)`;
    }
    return undefined;
}

function dateProblem(text: string): string | undefined {
    const lastDays = text.includes("~");
    const [head, day] = lastDays ? text.split("~") : [text.slice(0, text.lastIndexOf("-")), text.slice(text.lastIndexOf("-") + 1)];
    const parts = [...head.split("-"), day];
    if (parts.length < 2 || parts.length > 3 || (lastDays && text.split("~").length !== 2)) return "its date must be YEAR-MONTH-DAY, MONTH-DAY or MONTH~DAY";
    const fields = parts.length === 3 ? [YEAR, MONTH, DAY] : [MONTH, DAY];
    return parts.map((part, i) => fieldProblem(part, fields[i])).find((problem) => problem !== undefined);
}

function timeProblem(text: string): string | undefined {
    const parts = text.split(":");
    if (parts.length < 2 || parts.length > 3) return "its time must be HOUR:MINUTE or HOUR:MINUTE:SECOND";
    return parts.map((part, i) => fieldProblem(part, [HOUR, MINUTE, SECOND][i])).find((problem) => problem !== undefined);
}

/** A number of the field, in range; a year of two digits counts from 1970 to 2069. */
function valueOf(text: string, field: Field): number | undefined {
    const shape = field.fraction ? /^\d+(\.\d+)?$/ : /^\d+$/;
    if (!shape.test(text)) return undefined;
    // systemd keeps microseconds: 59.9999999 rounds up to 60 and is refused.
    let value = field.fraction ? Math.round(Number(text) * 1e6) / 1e6 : Number(text);
    if (field === YEAR && text.length <= 2) value += value < 70 ? 2000 : 1900;
    return value >= field.min && value < field.max + 1 && (field.fraction || value <= field.max) ? value : undefined;
}

function fieldProblem(text: string, field: Field): string | undefined {
    const accepted = `each ${field.name} must be *, a number from ${field.min} to ${field.max}, or a range N..M, each optionally /STEP`;
    for (const item of text.split(",")) {
        const [range, step, ...extra] = item.split("/");
        if (extra.length > 0 || (step !== undefined && !/^\d+(\.\d+)?$/.test(step)) || (step !== undefined && Number(step) <= 0)) return accepted;
        if (range === "*") {
            if (step !== undefined) return `${field.name} */STEP is not accepted; start the step at a number, such as 0/${step}`;
            continue;
        }
        const [from, to, ...more] = range.split("..");
        const [start, end] = [valueOf(from, field), to === undefined ? undefined : valueOf(to, field)];
        if (more.length > 0 || start === undefined || end === undefined && to !== undefined) return accepted;
        if (end !== undefined && end < start) return `the ${field.name} range ${range} runs backwards`;
    }
    return undefined;
}
