// A stack with nothing but the outputs `pulumi up` of the program leaves for the day-2 helpers.
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config("check");
export const serverIp = config.require("serverIp");
export const sshCommand = config.require("sshCommand");
export const deployPrivateKey = config.requireSecret("deployPrivateKey");
