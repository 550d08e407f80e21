/**
 * Kernel settings: operational tuning, then hardening. Returned as data so the VM test can compare
 * the live values with exactly these.
 *
 * The hardening cites dev-sec linux-baseline 2.10.0 (`sysctl-NN`, controls/sysctl_spec.rb), the CIS
 * Debian Linux 13 Benchmark v1.0.0 (ComplianceAsCode controls/cis_debian13.yml) and, where neither
 * has one, ANSSI-BP-028 v2.0. IP forwarding is left on, a deviation from sysctl-01/-19 and CIS
 * 3.3.1.1-3.3.1.3 and 3.3.2.1-3.3.2.2: Docker's networks need it (dev-sec's input sysctl_forwarding).
 */
export function sysctlValues(ipv6: boolean): Readonly<Record<string, string>> {
    return {
        // Tuning, not a control: prefer RAM over swap, room for Docker's file watchers and connection bursts.
        "vm.swappiness": "10",
        "fs.inotify.max_user_watches": "524288",
        "fs.inotify.max_user_instances": "512",
        "net.core.somaxconn": "1024",
        // Kernel information and interfaces an attacker uses after a foothold.
        "kernel.kptr_restrict": "2", // CIS 1.5.8
        "kernel.dmesg_restrict": "1", // CIS 1.5.5
        "kernel.unprivileged_bpf_disabled": "1", // ANSSI R9
        "net.core.bpf_jit_harden": "2", // ANSSI R12
        "kernel.yama.ptrace_scope": "1", // CIS 1.5.3; linux-baseline's sysctl-35 wants 2, which also stops a user tracing their own processes
        "kernel.kexec_load_disabled": "1", // ComplianceAsCode sysctl_kernel_kexec_load_disabled (DISA SRG-OS-000480-GPOS-00227)
        "kernel.sysrq": "0", // sysctl-30
        "fs.suid_dumpable": "0", // sysctl-31a; CIS 1.5.4
        "fs.protected_hardlinks": "1", // sysctl-34; CIS 1.5.1
        "fs.protected_symlinks": "1", // sysctl-34; CIS 1.5.2
        "fs.protected_fifos": "2", // sysctl-34
        "fs.protected_regular": "2", // sysctl-34
        // Network: no spoofed sources, no redirects, no source routing, SYN floods absorbed.
        "net.ipv4.conf.all.rp_filter": "1", // sysctl-02; CIS 3.3.1.12-13 (this and the next)
        "net.ipv4.conf.default.rp_filter": "1",
        "net.ipv4.conf.all.accept_redirects": "0", // sysctl-14; CIS 3.3.1.8-9
        "net.ipv4.conf.default.accept_redirects": "0",
        "net.ipv4.conf.all.secure_redirects": "0", // sysctl-15; CIS 3.3.1.10-11
        "net.ipv4.conf.default.secure_redirects": "0",
        "net.ipv4.conf.all.send_redirects": "0", // sysctl-16; CIS 3.3.1.4-5
        "net.ipv4.conf.default.send_redirects": "0",
        "net.ipv4.conf.all.accept_source_route": "0", // sysctl-13; CIS 3.3.1.14-15
        "net.ipv4.conf.default.accept_source_route": "0",
        "net.ipv4.tcp_syncookies": "1", // sysctl-11; CIS 3.3.1.18
        "net.ipv4.tcp_rfc1337": "1", // sysctl-10
        "net.ipv4.icmp_echo_ignore_broadcasts": "1", // sysctl-04; CIS 3.3.1.7
        "net.ipv4.icmp_ignore_bogus_error_responses": "1", // sysctl-03; CIS 3.3.1.6
        ...(ipv6
            ? {
                  "net.ipv6.conf.all.accept_redirects": "0", // sysctl-20; CIS 3.3.2.3-4
                  "net.ipv6.conf.default.accept_redirects": "0",
                  "net.ipv6.conf.all.accept_source_route": "0", // sysctl-13; CIS 3.3.2.5-6
                  "net.ipv6.conf.default.accept_source_route": "0",
              }
            : {
                  // No IPv6 at all: one address family less to firewall (CIS 3.1.1, "IPv6 status is identified").
                  "net.ipv6.conf.all.disable_ipv6": "1",
                  "net.ipv6.conf.default.disable_ipv6": "1",
                  "net.ipv6.conf.lo.disable_ipv6": "1",
              }),
    };
}

export function renderSysctl(ipv6: boolean): string {
    const lines = Object.entries(sysctlValues(ipv6)).map(([key, value]) => `${key} = ${value}`);
    return ["# Managed by the openclaw Pulumi program.", ...lines, ""].join("\n");
}
