/**
 * Kernel settings: seed 002's tuning, then hardening. IP forwarding is left alone (Docker needs it).
 * Returned as data so the VM test can compare the live values with exactly these.
 */
export function sysctlValues(ipv6: boolean): Readonly<Record<string, string>> {
    return {
        // Seed 002: prefer RAM over swap, room for Docker's file watchers and connection bursts.
        "vm.swappiness": "10",
        "fs.inotify.max_user_watches": "524288",
        "fs.inotify.max_user_instances": "512",
        "net.core.somaxconn": "1024",
        // Kernel information and interfaces an attacker uses after a foothold.
        "kernel.kptr_restrict": "2",
        "kernel.dmesg_restrict": "1",
        "kernel.unprivileged_bpf_disabled": "1",
        "net.core.bpf_jit_harden": "2",
        "kernel.yama.ptrace_scope": "1",
        "kernel.kexec_load_disabled": "1",
        "kernel.sysrq": "0",
        "fs.suid_dumpable": "0",
        "fs.protected_hardlinks": "1",
        "fs.protected_symlinks": "1",
        "fs.protected_fifos": "2",
        "fs.protected_regular": "2",
        // Network: no spoofed sources, no redirects, no source routing, SYN floods absorbed.
        "net.ipv4.conf.all.rp_filter": "1",
        "net.ipv4.conf.default.rp_filter": "1",
        "net.ipv4.conf.all.accept_redirects": "0",
        "net.ipv4.conf.default.accept_redirects": "0",
        "net.ipv4.conf.all.secure_redirects": "0",
        "net.ipv4.conf.default.secure_redirects": "0",
        "net.ipv4.conf.all.send_redirects": "0",
        "net.ipv4.conf.default.send_redirects": "0",
        "net.ipv4.conf.all.accept_source_route": "0",
        "net.ipv4.conf.default.accept_source_route": "0",
        "net.ipv4.tcp_syncookies": "1",
        "net.ipv4.tcp_rfc1337": "1",
        "net.ipv4.icmp_echo_ignore_broadcasts": "1",
        "net.ipv4.icmp_ignore_bogus_error_responses": "1",
        ...(ipv6
            ? {
                  "net.ipv6.conf.all.accept_redirects": "0",
                  "net.ipv6.conf.default.accept_redirects": "0",
                  "net.ipv6.conf.all.accept_source_route": "0",
                  "net.ipv6.conf.default.accept_source_route": "0",
              }
            : {
                  // No IPv6 at all: one address family less to firewall.
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
