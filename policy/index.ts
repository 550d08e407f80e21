// The policy pack that `pulumi preview --policy-pack policy` runs. Constructing it starts the gRPC
// server the Pulumi engine talks to, so only the engine loads this file; tests load ./policies.
import { PolicyPack } from "@pulumi/policy";
import { policies, POLICY_PACK_NAME } from "./policies";

new PolicyPack(POLICY_PACK_NAME, { policies });
