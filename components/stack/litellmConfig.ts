// LiteLLM's proxy config: the configured models with their keys by name, each model's budget and
// rate limit enforced by LiteLLM's router, the counters behind them in Redis, the master key read
// from the environment, JSON logs without message bodies.
import * as YAML from "yaml";
import { ModelSettings } from "../settings";
import { PORTS, SERVICES } from "./layout";

/** The environment variable LiteLLM reads its master key from. */
export const LITELLM_MASTER_KEY_ENV = "LITELLM_MASTER_KEY";

/** A model's budget resets over this period. */
export const BUDGET_DURATION = "30d";

/**
 * The router's pre-call check that turns each deployment's `rpm` into a limit (429 past it, per UTC
 * minute). Without it `rpm` is only a weight for picking between deployments of one name.
 */
export const ENFORCE_RPM_CHECK = "enforce_model_rate_limits";

export function renderLitellmConfig(models: readonly ModelSettings[]): string {
    const config = {
        model_list: models.map((m) => ({
            model_name: m.name,
            litellm_params: {
                model: m.model,
                api_key: `os.environ/${m.apiKeyEnv}`,
                ...(m.rpm !== undefined ? { rpm: m.rpm } : {}),
                ...(m.maxBudgetUsd !== undefined ? { max_budget: m.maxBudgetUsd, budget_duration: BUDGET_DURATION } : {}),
            },
            // The budget and rate counters are keyed by this id. Left out, LiteLLM hashes the params
            // with the provider key resolved, so rotating a key or changing a limit would start the
            // model's budget afresh.
            model_info: { id: m.name },
        })),
        general_settings: {
            master_key: `os.environ/${LITELLM_MASTER_KEY_ENV}`,
        },
        litellm_settings: {
            json_logs: true,
            // Prompts and completions never reach the logs. No response cache either: Redis is kept
            // on disk, and a cache there would keep completions at rest.
            turn_off_message_logging: true,
            num_retries: 2,
            request_timeout: 600,
        },
        router_settings: {
            num_retries: 2,
            retry_after: 5,
            // The router keeps its budget and rate counters here (and in memory), so a restart of
            // LiteLLM keeps them; Redis keeps them on disk across its own restarts.
            redis_host: SERVICES.redis.container,
            redis_port: PORTS.redis,
            optional_pre_call_checks: [ENFORCE_RPM_CHECK],
        },
    };
    // LiteLLM reads YAML 1.1 (PyYAML): write 1.1, so a model named `on` or `1_000` stays a string.
    return YAML.stringify(config, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false });
}

/** The provider keys LiteLLM needs: those the models name, each once. */
export function litellmKeyNames(models: readonly ModelSettings[]): string[] {
    return [...new Set(models.map((m) => m.apiKeyEnv))].sort();
}
