// Every file of the stack from the validated settings: the one place that decides what each
// renderer gets, so the deploy steps, the tests and the VM test all see the same bytes.
import * as pulumi from "@pulumi/pulumi";
import { ServerSize } from "../../providers";
import { AppSettings } from "../settings";
import { renderCaddyfile } from "./caddyfile";
import { renderCompose, TUNNEL_TOKEN_ENV } from "./compose";
import { egressRoles, EgressRole } from "./egress";
import { EGRESS_MODULE } from "./egressModule";
import { renderEgressAcl, renderEgressDockerfile } from "./egressProxy";
import { renderEnvFile } from "./envFile";
import { gatewayOrigins, renderGatewayConfig } from "./gatewayConfig";
import { GATEWAYS } from "./gateways";
import { INGRESS, publicDomain, StackIngress } from "./ingress";
import { LITELLM_MASTER_KEY_ENV, litellmKeyNames, renderLitellmConfig } from "./litellmConfig";
import { stackLimits } from "./limits";
import { StackFiles } from "./steps";

/** App settings without their secrets: everything the non-secret files depend on. */
export type StackFileSettings = Pick<AppSettings, "openclawImage" | "models" | "defaultModel" | "egressDomains" | "telegramOwnerId"> & {
    readonly telegram: boolean;
};

/** The secrets the `.env` carries. */
export interface StackSecretValues {
    /** Each gateway's token, by its name. */
    readonly gatewayTokens: Readonly<Record<string, pulumi.Input<string>>>;
    readonly litellmMasterKey: pulumi.Input<string>;
    readonly llmApiKeys: Readonly<Record<string, pulumi.Input<string>>>;
    readonly telegramBotToken?: pulumi.Input<string>;
    /** The Cloudflare Tunnel's token (ingress tunnel). */
    readonly tunnelToken?: pulumi.Input<string>;
}

/** Each egress proxy client's allowlist, from the settings. */
export function egressRolesFor(app: StackFileSettings): EgressRole[] {
    return egressRoles({ models: app.models.map((m) => m.model), telegram: app.telegram, extraDomains: app.egressDomains });
}

export function renderStackFiles(
    app: StackFileSettings,
    ingress: StackIngress,
    serverSize: ServerSize,
): Omit<StackFiles, "env"> {
    const mode = INGRESS[ingress.mode];
    const domain = publicDomain(ingress);
    return {
        compose: renderCompose({
            openclawImage: app.openclawImage,
            limits: stackLimits(serverSize),
            litellmKeyNames: litellmKeyNames(app.models),
            telegram: app.telegram,
            publishGatewayOnLoopback: mode.publishesOnLoopback,
            ingress: mode.container,
        }),
        gatewayConfigs: Object.fromEntries(
            GATEWAYS.map((gateway) => [
                gateway.name,
                renderGatewayConfig({
                    gateway,
                    modelNames: app.models.map((m) => m.name),
                    defaultModel: app.defaultModel,
                    allowedOrigins: gatewayOrigins(domain, gateway.port),
                    trustedProxies: mode.trustedProxies,
                    telegram: app.telegram && gateway.telegram,
                    telegramOwnerId: app.telegramOwnerId,
                }),
            ]),
        ),
        litellmConfig: renderLitellmConfig(app.models),
        egressAcl: renderEgressAcl(egressRolesFor(app)),
        egressDockerfile: renderEgressDockerfile(),
        egressMainGo: EGRESS_MODULE.mainGo,
        egressGoMod: EGRESS_MODULE.goMod,
        egressGoSum: EGRESS_MODULE.goSum,
        ...(mode.container === "caddy" && domain !== undefined ? { caddyfile: renderCaddyfile(domain) } : {}),
    };
}

/** The `.env`: the gateways' tokens, LiteLLM's master key, the provider keys the models use, the Telegram and tunnel tokens. */
export function stackEnv(app: Pick<AppSettings, "models">, secrets: StackSecretValues): pulumi.Output<string> {
    const keyNames = litellmKeyNames(app.models);
    const values: Record<string, pulumi.Input<string>> = {
        ...Object.fromEntries(GATEWAYS.map((gateway) => [gateway.env.token, secrets.gatewayTokens[gateway.name]])),
        [LITELLM_MASTER_KEY_ENV]: secrets.litellmMasterKey,
        ...Object.fromEntries(keyNames.map((name) => [name, secrets.llmApiKeys[name]])),
        ...(secrets.telegramBotToken !== undefined
            ? Object.fromEntries(GATEWAYS.filter((gateway) => gateway.telegram).map((gateway) => [gateway.env.telegramToken, secrets.telegramBotToken]))
            : {}),
        ...(secrets.tunnelToken !== undefined ? { [TUNNEL_TOKEN_ENV]: secrets.tunnelToken } : {}),
    };
    return pulumi.secret(pulumi.all(values).apply((resolved) => renderEnvFile(resolved)));
}
