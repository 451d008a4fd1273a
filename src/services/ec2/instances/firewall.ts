// Security groups made real. Two views of the same rules:
// - hostPorts: which TCP ports of an instance the host may reach on its public IP (inbound rules
//   whose CIDR contains the connecting loopback address: 0.0.0.0/0, 127.0.0.1/32...);
// - firewallRuleset: nftables chains for the VPC's hub namespace, between instances. Traffic
//   passes when the sender's outbound rules and the receiver's inbound rules both allow it;
//   replies pass by connection tracking (groups are stateful, as on AWS). The same table gates
//   the VPC's route out (core/runtime/egress.ts): a new connection leaves through it only when
//   the sender's outbound rules allow it and its route table sends the destination to an
//   internet or NAT gateway it may use (routes-out.ts); it leaves masqueraded as the hub's tap
//   address; nothing new comes in through it.
import { EGRESS_DEVICE } from "../../../core/runtime/egress.js";
import { vethName } from "../../../core/runtime/hub.js";
import { containsIp, parseCidr, parseIp } from "../vpc/cidr.js";
import type { SgDoc, SgRule } from "../vpc/store.js";
import type { RouteOut } from "./routes-out.js";

export interface PortSet {
  count: number;
  has(port: number, from?: string): boolean;
  ports(): number[];
}

function isTcp(proto: string): boolean {
  return proto === "tcp" || proto === "6" || proto === "-1" || proto === "all";
}

function cidrHas(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const n = parseIp(ip);
  return c !== undefined && n !== undefined && containsIp(c, n);
}

export function hostPorts(rules: SgRule[]): PortSet {
  const inbound = rules.filter((r) => !r.egress && isTcp(r.proto) && r.cidr4 && cidrHas(r.cidr4, "127.0.0.1"));
  const ranges = inbound.map((r) => (r.proto === "-1" || r.proto === "all" || r.from === undefined || r.from < 0 ? [0, 65535] : [r.from, r.to ?? r.from]) as [number, number]);
  const set = new Set<number>();
  let count = 0;
  for (const [a, b] of ranges) count += b - a + 1;
  const small = count <= 4096;
  if (small) for (const [a, b] of ranges) for (let p = a; p <= b; p++) if (p > 0) set.add(p);
  return {
    count: small ? set.size : count,
    has(port, from) {
      return inbound.some((r, i) => {
        const [a, b] = ranges[i];
        return port >= a && port <= b && (from === undefined || cidrHas(r.cidr4!, from));
      });
    },
    ports: () => [...set].sort((x, y) => x - y),
  };
}

export interface Member {
  id: string;
  ip: string;
  groups: string[];
  /** The instance's routes with their verdict (routes-out.ts); empty: nothing leaves the VPC. */
  routes?: RouteOut[];
}

function match(r: SgRule, members: Member[], dir: "saddr" | "daddr"): string | undefined {
  let peer: string;
  if (r.cidr4) peer = `ip ${dir} ${r.cidr4}`;
  else if (r.group) {
    const ips = members.filter((m) => m.groups.includes(r.group!.GroupId)).map((m) => m.ip);
    if (!ips.length) return undefined;
    peer = `ip ${dir} { ${ips.join(", ")} }`;
  } else return undefined; // IPv6 and prefix lists: no IPv6 inside networks; prefix lists name AWS services
  const proto = r.proto === "6" ? "tcp" : r.proto === "17" ? "udp" : r.proto === "1" ? "icmp" : r.proto;
  if (proto === "-1" || proto === "all") return peer;
  if (proto === "tcp" || proto === "udp") {
    const ports = r.from === undefined || r.from < 0 ? "" : ` th dport ${r.from}-${r.to ?? r.from}`;
    return `${peer} meta l4proto ${proto}${ports}`;
  }
  if (proto === "icmp") return `${peer} meta l4proto icmp`;
  if (/^\d+$/.test(proto)) return `${peer} meta l4proto ${proto}`;
  return undefined;
}

/** The body of `table inet nimbus` for one VPC hub. */
export function firewallRuleset(members: Member[], groups: Map<string, SgDoc>): string {
  const veth = vethName;
  const out = `"${EGRESS_DEVICE}"`;
  const chains: string[] = [];
  const fwd: string[] = ["    ct state established,related accept", "    ct state invalid drop", `    iifname ${out} drop`];
  for (const m of members) {
    const rules = m.groups.flatMap((g) => groups.get(g)?.rules ?? []);
    const key = m.id.replace(/^i-/, "");
    const eg = rules.filter((r) => r.egress).map((r) => match(r, members, "daddr")).filter((x): x is string => !!x);
    const ing = rules.filter((r) => !r.egress).map((r) => match(r, members, "saddr")).filter((x): x is string => !!x);
    chains.push(`  chain eg_${key} {\n${eg.map((e) => `    ${e} return`).join("\n")}\n    drop\n  }`);
    chains.push(`  chain in_${key} {\n${ing.map((e) => `    ${e} accept`).join("\n")}\n    drop\n  }`);
    fwd.push(`    iifname "${veth(m.id)}" jump eg_${key}`);
    if (m.routes?.length) {
      // Longest prefix first: the first route covering the destination decides, as AWS routes.
      chains.push(`  chain out_${key} {\n${m.routes.map((r) => `    ip daddr ${r.cidr} ${r.out ? "accept" : "drop"}`).join("\n")}\n    drop\n  }`);
      fwd.push(`    iifname "${veth(m.id)}" oifname ${out} jump out_${key}`);
    }
  }
  fwd.push(`    oifname ${out} drop`);
  for (const m of members) fwd.push(`    oifname "${veth(m.id)}" jump in_${m.id.replace(/^i-/, "")}`);
  const nat = members.some((m) => m.routes?.length) ? `\n  chain vpc_nat {\n    type nat hook postrouting priority srcnat; policy accept;\n    oifname ${out} masquerade\n  }` : "";
  return `${chains.join("\n")}\n  chain vpc_forward {\n    type filter hook forward priority 0; policy accept;\n${fwd.join("\n")}\n  }${nat}`;
}
