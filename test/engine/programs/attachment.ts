// A static IP, its attachment to a server, and two deploy steps connecting to the address: one
// through `reachedThrough` (as the providers hand the address out), one to the bare address.
import * as pulumi from "@pulumi/pulumi";
import { reachedThrough } from "../../../providers/types";
import { Recorded } from "./recorded";

const config = new pulumi.Config("check");
const log = config.require("log");

const server = new Recorded("server", log, { image: config.require("image"), userData: config.require("userData"), recordedReplaceOn: ["userData"] }, { ignoreChanges: ["image"] });
const ip = new Recorded("ip", log, { address: "198.51.100.20" });
const assignment = new Recorded("ip-assignment", log, { ip: ip.address, server: server.id });
new Recorded("step-through-attachment", log, { host: reachedThrough(ip.address, assignment) });
new Recorded("step-to-bare-address", log, { host: ip.address });
