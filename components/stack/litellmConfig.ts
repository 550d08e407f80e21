// LiteLLM's proxy config: the configured models with their budgets and rate limits, keys and the
// master key read from the environment, Redis as the response cache, JSON logs without message bodies.
import * as YAML from "yaml";
import { ModelSettings } from "../settings";
import { PORTS, SERVICES } from "./layout";

/** The environment variable LiteLLM reads its master key from. */
export const LITELLM_MASTER_KEY_ENV = "LITELLM_MASTER_KEY";

/** A model's budget resets over this period. */
export const BUDGET_DURATION = "30d";

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
        })),
        general_settings: {
            master_key: `os.environ/${LITELLM_MASTER_KEY_ENV}`,
        },
        litellm_settings: {
            cache: true,
            cache_params: { type: "redis", host: SERVICES.redis.container, port: PORTS.redis, ttl: 3600 },
            json_logs: true,
            // Prompts and completions never reach the logs.
            turn_off_message_logging: true,
            num_retries: 2,
            request_timeout: 600,
        },
        router_settings: {
            num_retries: 2,
            retry_after: 5,
        },
    };
    // LiteLLM reads YAML 1.1 (PyYAML): write 1.1, so a model named `on` or `1_000` stays a string.
    return YAML.stringify(config, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false });
}

/** The provider keys LiteLLM needs: those the models name, each once. */
export function litellmKeyNames(models: readonly ModelSettings[]): string[] {
    return [...new Set(models.map((m) => m.apiKeyEnv))].sort();
}
