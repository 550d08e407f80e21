// How the rules see resources: plain JSON-like values, where a value the engine does not know yet
// (during preview, e.g. an id or anything computed from one) is the UNKNOWN marker. The engine hands
// policies a proxy that throws on such values instead; `plain` turns that proxy into data, so each
// rule decides for itself what an unknown value means (usually: skip that check until `up`).
import { UnknownValueError } from "@pulumi/policy";

/** A value that is not known yet: during preview, anything computed from another resource's outputs. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

/** A resource's properties (inputs for resource checks, outputs for stack checks). */
export type Props = Readonly<Record<string, unknown>>;

/** One resource as the rules see it. */
export interface ResourceView {
    /** The Pulumi type token, e.g. `hcloud:index/firewall:Firewall`. */
    readonly type: string;
    /** The resource's logical name, e.g. `openclaw-firewall`. */
    readonly name: string;
    readonly props: Props;
}

/** A resource within a stack check: also its URN, and what each of its inputs was computed from. */
export interface StackResourceView extends ResourceView {
    readonly urn: string;
    /** For each input property, the URNs of the resources it was computed from (the engine's `propertyDependencies`). */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

/** A violation a stack check reports against one resource. */
export interface StackViolation {
    readonly urn: string;
    readonly message: string;
}

/** True for a value the engine does not know yet. */
export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

/**
 * A deep copy of `value` as plain data, with every value the engine does not know replaced by
 * UNKNOWN. Works on the engine's unknown-checking proxies (reading an unknown through them throws
 * `UnknownValueError`) and on plain objects alike.
 */
export function plain(value: unknown): unknown {
    if (value === null || typeof value !== "object") return value;
    const source = value as Record<string | number, unknown>;
    if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => read(source, i));
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) copy[key] = read(source, key);
    return copy;
}

function read(source: Record<string | number, unknown>, key: string | number): unknown {
    try {
        return plain(source[key]);
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
}

/** The elements of a list property; [] when it is absent, UNKNOWN when it is not known. */
export function listOf(value: unknown): readonly unknown[] | Unknown {
    if (isUnknown(value)) return UNKNOWN;
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : [value];
}

/** A nested property of an object-valued property; undefined when absent, UNKNOWN when the parent is not known. */
export function fieldOf(value: unknown, key: string): unknown {
    if (isUnknown(value)) return UNKNOWN;
    if (value === null || typeof value !== "object") return undefined;
    return (value as Record<string, unknown>)[key];
}

/** How a violation names the resource it is about. */
export function describe(resource: ResourceView): string {
    return `${resource.name} (${resource.type})`;
}

/** Quotes a value for a message: strings in quotes, anything else as JSON. */
export function show(value: unknown): string {
    if (isUnknown(value)) return "(unknown)";
    return typeof value === "string" ? `"${value}"` : JSON.stringify(value) ?? String(value);
}

/**
 * Whether input `key` of `from` refers to `target`: true when the engine says that input was
 * computed from `target` (works in preview, where ids are unknown), or when its known value equals
 * one of `targetValues` (the target's id or name); UNKNOWN when neither can tell yet.
 */
export function refersTo(from: StackResourceView, key: string, target: StackResourceView, targetValues: readonly unknown[]): boolean | Unknown {
    if ((from.propertyDependencies[key] ?? []).includes(target.urn)) return true;
    const value = from.props[key];
    if (isUnknown(value)) return UNKNOWN;
    if (typeof value === "string" && targetValues.includes(value)) return true;
    return targetValues.some(isUnknown) ? UNKNOWN : false;
}
