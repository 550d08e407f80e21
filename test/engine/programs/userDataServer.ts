// A server whose user data forces a new one at the provider (as hcloud, DigitalOcean and AWS
// with userDataReplaceOnChange do), with the options the providers give it. `check:era` "before"
// stands for a stack deployed before replacedByUserData existed: plain provider-driven replacement.
import * as pulumi from "@pulumi/pulumi";
import { replacedByUserData } from "../../../providers/types";
import { Recorded } from "./recorded";

const config = new pulumi.Config("check");
const log = config.require("log");
const userData = config.require("userData");

new Recorded(
    "server",
    log,
    { image: config.require("image"), userData, recordedReplaceOn: ["image", "userData"] },
    config.require("era") === "before" ? {} : replacedByUserData(userData),
);
