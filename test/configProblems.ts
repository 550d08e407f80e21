// The problems a config parser reports, for the settings and deployments specs alike: both
// parsers throw an InvalidConfigError listing every problem, one sentence each.
import * as assert from "assert";
import { InvalidConfigError } from "../components/configReader";

/** The problems `parse` throws (none when it parses); anything else it throws is rethrown. */
export function problemsOf(parse: () => unknown): readonly string[] {
    try {
        parse();
        return [];
    } catch (e) {
        if (e instanceof InvalidConfigError) return e.problems;
        throw e;
    }
}

/** Asserts exactly one problem, one sentence containing every fragment, and returns it. */
export function assertOneProblem(problems: readonly string[], fragments: readonly string[]): string {
    assert.strictEqual(problems.length, 1, `expected one problem, got: ${JSON.stringify(problems, null, 2)}`);
    for (const fragment of fragments) assert.ok(problems[0].includes(fragment), `"${problems[0]}" should mention "${fragment}"`);
    assert.match(problems[0], /\.$/, "a problem is one sentence ending in a full stop");
    return problems[0];
}
