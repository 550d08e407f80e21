// The one rule for a pinned image, shared by the program (`openclaw:openclawImage`) and the policy
// pack (pinned-images). No imports: the pack is published on its own.

/** A repository as Docker parses it: an optional registry host (with a port), then lower-case path components. */
const REPOSITORY = /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const EXAMPLE = "such as ghcr.io/openclaw/openclaw:2026.9.6";

/**
 * Why an image reference is not pinned, or undefined when it is. Pinned means a `@sha256:` digest,
 * or a tag that names a version: not `latest`, and with a digit in it, since a tag without one
 * (`stable`, `alpine`, `edge`) names a moving release. A `${VARIABLE}` can't be checked, so it fails.
 */
export function imageReferenceProblem(ref: string): string | undefined {
    if (ref.includes("$")) return "it is built from a variable, so what it pins can't be checked";
    const [name, digest, ...more] = ref.split("@");
    if (more.length > 0) return `it must be an image reference ${EXAMPLE}`;
    if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) return "its digest must be sha256: followed by 64 hex digits";
    const slash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    const tag = colon > slash ? name.slice(colon + 1) : undefined;
    const repository = colon > slash ? name.slice(0, colon) : name;
    if (!REPOSITORY.test(repository)) return `it must be an image reference ${EXAMPLE}`;
    if (tag !== undefined && !TAG.test(tag)) return `its tag "${tag}" is not a valid tag; pin a version tag ${EXAMPLE}`;
    if (digest !== undefined) return undefined;
    if (tag === undefined) return "it has no tag, which means latest; pin a version tag or a @sha256: digest";
    if (tag.toLowerCase() === "latest") return "its tag is latest; pin a version tag or a @sha256: digest";
    if (!/\d/.test(tag)) return `its tag "${tag}" names no version; pin a version tag or a @sha256: digest`;
    return undefined;
}
