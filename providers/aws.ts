import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CloudCatalog, CloudProvider, HostRequest, InboundRule, OsImage, providerConfig, ProvisionedHost, reachedThrough, replacedByUserData } from "./types";

const GiB = 1024;

export const awsCatalog: CloudCatalog = {
    region: { from: "provider", key: "aws:region", provider: "AWS", example: "eu-central-1" },
    // S3 is the same account's: backups need no other.
    defaultStateStore: "s3",
    defaultServerType: "t3.medium",
    serverTypes: {
        "t3.medium": { vcpus: 2, memoryMiB: 4 * GiB },
        "t3.large": { vcpus: 2, memoryMiB: 8 * GiB },
        "t3.xlarge": { vcpus: 4, memoryMiB: 16 * GiB },
        "t3.2xlarge": { vcpus: 8, memoryMiB: 32 * GiB },
        "t3a.medium": { vcpus: 2, memoryMiB: 4 * GiB },
        "t3a.large": { vcpus: 2, memoryMiB: 8 * GiB },
        "t3a.xlarge": { vcpus: 4, memoryMiB: 16 * GiB },
        "t3a.2xlarge": { vcpus: 8, memoryMiB: 32 * GiB },
        "c6i.large": { vcpus: 2, memoryMiB: 4 * GiB },
        "c6i.xlarge": { vcpus: 4, memoryMiB: 8 * GiB },
        "c6i.2xlarge": { vcpus: 8, memoryMiB: 16 * GiB },
        "m6i.large": { vcpus: 2, memoryMiB: 8 * GiB },
        "m6i.xlarge": { vcpus: 4, memoryMiB: 16 * GiB },
        "m6i.2xlarge": { vcpus: 8, memoryMiB: 32 * GiB },
        "m6i.4xlarge": { vcpus: 16, memoryMiB: 64 * GiB },
        "r6i.large": { vcpus: 2, memoryMiB: 16 * GiB },
        "r6i.xlarge": { vcpus: 4, memoryMiB: 32 * GiB },
    },
};

/** Official images, found by publisher account and name pattern (the newest match wins). */
export const amiQueries: Record<OsImage, { readonly owner: string; readonly namePattern: string }> = {
    // Debian's cloud team account.
    "debian-13": { owner: "136693071363", namePattern: "debian-13-amd64-*" },
    "debian-12": { owner: "136693071363", namePattern: "debian-12-amd64-*" },
    // Canonical's account.
    "ubuntu-24.04": { owner: "099720109477", namePattern: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*" },
};

const VPC_CIDR = "10.42.0.0/16";
const SUBNET_CIDR = "10.42.1.0/24";
export const ROOT_VOLUME_GB = 40;

function ingressRule(rule: InboundRule): aws.types.input.ec2.SecurityGroupIngress {
    return {
        description: rule.description,
        protocol: rule.protocol,
        fromPort: rule.port,
        toPort: rule.port,
        cidrBlocks: pulumi.output(rule.sourceCidrs).apply((cidrs) => cidrs.filter((cidr) => !cidr.includes(":"))),
        ipv6CidrBlocks: pulumi.output(rule.sourceCidrs).apply((cidrs) => cidrs.filter((cidr) => cidr.includes(":"))),
    };
}

function createHost(request: HostRequest, parent: pulumi.Resource): ProvisionedHost {
    const { name } = request;
    const opts: pulumi.CustomResourceOptions = { parent };
    const kept: pulumi.CustomResourceOptions = { parent, protect: request.protect };

    // A small VPC of our own: does not depend on the account still having its default VPC.
    const vpc = new aws.ec2.Vpc(
        `${name}-vpc`,
        {
            cidrBlock: VPC_CIDR,
            enableDnsSupport: true,
            enableDnsHostnames: true,
            assignGeneratedIpv6CidrBlock: request.ipv6,
            tags: { Name: name },
        },
        opts,
    );
    const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: name } }, opts);
    const subnet = new aws.ec2.Subnet(
        `${name}-subnet`,
        {
            vpcId: vpc.id,
            cidrBlock: SUBNET_CIDR,
            // The first /64 of the VPC's /56 starts at the same address.
            ipv6CidrBlock: request.ipv6 ? vpc.ipv6CidrBlock.apply((block) => block.replace(/\/56$/, "/64")) : undefined,
            assignIpv6AddressOnCreation: request.ipv6,
            tags: { Name: name },
        },
        opts,
    );
    const routes = new aws.ec2.RouteTable(
        `${name}-routes`,
        {
            vpcId: vpc.id,
            routes: [
                { cidrBlock: "0.0.0.0/0", gatewayId: gateway.id },
                ...(request.ipv6 ? [{ ipv6CidrBlock: "::/0", gatewayId: gateway.id }] : []),
            ],
            tags: { Name: name },
        },
        opts,
    );
    const routing = new aws.ec2.RouteTableAssociation(`${name}-routes-assoc`, { subnetId: subnet.id, routeTableId: routes.id }, opts);

    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-firewall`,
        {
            vpcId: vpc.id,
            description: "OpenClaw host: inbound only what the stack needs",
            ingress: request.inboundRules.map(ingressRule),
            egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
            tags: { Name: name },
        },
        opts,
    );

    const keyPair = new aws.ec2.KeyPair(`${name}-deploy-key`, { publicKey: request.deployPublicKey }, opts);

    const query = amiQueries[request.osImage];
    const ami = aws.ec2.getAmiOutput(
        {
            owners: [query.owner],
            mostRecent: true,
            filters: [
                { name: "name", values: [query.namePattern] },
                { name: "architecture", values: ["x86_64"] },
                { name: "virtualization-type", values: ["hvm"] },
            ],
        },
        { parent },
    );

    const instance = new aws.ec2.Instance(
        `${name}-server`,
        {
            ami: ami.id,
            instanceType: request.serverType,
            subnetId: subnet.id,
            vpcSecurityGroupIds: [securityGroup.id],
            keyName: keyPair.keyName,
            // A public address from boot so cloud-init can install packages before the EIP is attached.
            associatePublicIpAddress: true,
            ipv6AddressCount: request.ipv6 ? 1 : 0,
            userData: request.userData,
            userDataReplaceOnChange: true,
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            rootBlockDevice: {
                encrypted: true,
                volumeType: "gp3",
                volumeSize: ROOT_VOLUME_GB,
                deleteOnTermination: true,
            },
            disableApiTermination: request.protect,
            tags: { Name: name },
        },
        // A newer AMI must not replace a running server on the next `pulumi up`; use `--replace` for that.
        { ...kept, ...replacedByUserData(request.userData, ["ami"]) },
    );

    const eip = new aws.ec2.Eip(`${name}-ipv4`, { domain: "vpc", tags: { Name: name } }, kept);
    const association = new aws.ec2.EipAssociation(
        `${name}-ipv4-assignment`,
        { allocationId: eip.allocationId, instanceId: instance.id },
        { parent, deleteBeforeReplace: true },
    );

    return { publicIp: reachedThrough(eip.publicIp, association, routing), serverId: instance.id };
}

export const awsProvider: CloudProvider = {
    title: "AWS",
    hasCloudFirewall: true,
    inboundFilter: "the AWS security group, then UFW on the server",
    catalog: awsCatalog,
    config: providerConfig("aws", aws.config),
    parts: {
        server: "aws:ec2/instance:Instance",
        firewall: "aws:ec2/securityGroup:SecurityGroup",
        staticIp: "aws:ec2/eip:Eip",
        key: "aws:ec2/keyPair:KeyPair",
        attachments: ["aws:ec2/eipAssociation:EipAssociation", "aws:ec2/routeTableAssociation:RouteTableAssociation"],
    },
    inboundRulesOf: (group) =>
        group.ingress.map((r: any) => ({
            port: r.fromPort === r.toPort ? String(r.fromPort) : `${r.fromPort}-${r.toPort}`,
            protocol: r.protocol,
            sources: [...(r.cidrBlocks ?? []), ...(r.ipv6CidrBlocks ?? [])],
        })),
    userDataOf: (instance) => instance.userData,
    deployKeyOf: (key) => key.publicKey,
    mockOutputs: {
        "aws:ec2/eip:Eip": (_inputs, id) => ({ publicIp: "198.51.100.30", allocationId: `eipalloc-${id}` }),
        "aws:ec2/keyPair:KeyPair": (_inputs, id, name) => ({ keyName: `${name}-${id}` }),
        "aws:ec2/vpc:Vpc": (inputs) => (inputs.assignGeneratedIpv6CidrBlock ? { ipv6CidrBlock: "2001:db8:42:ff00::/56" } : {}),
    },
    createHost,
};
