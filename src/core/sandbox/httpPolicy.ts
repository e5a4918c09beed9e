import * as dns from 'node:dns';
import * as net from 'node:net';
import type { Decision } from './decisions';
import { allow, ask, block } from './decisions';
import { domainMatches } from '../common/domains';

export interface HttpPolicyOptions {
  /** `settings.http_allowed_domains`: if non-empty, other domains are blocked. */
  readonly allowedDomains: readonly string[];
  /** User-level (never workspace) domains whose requests run without asking. */
  readonly autoApproveDomains: readonly string[];
  /** Reach link-local and cloud metadata addresses; default false. */
  readonly allowMetadataAddresses: boolean;
  /** Resolver (injectable for tests); defaults to dns.lookup. */
  readonly lookup?: (host: string) => Promise<{ address: string; family: number }>;
}

export interface HttpJudgement {
  readonly decision: Decision;
  readonly url?: URL;
  readonly host: string;
  readonly address?: string;
  readonly family?: number;
  readonly grantKey?: string;
}

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);
const METADATA_ADDRESSES = new Set(['169.254.169.254', '100.100.100.200', 'fd00:ec2::254', '169.254.170.2']);

/** Why an address is link-local or a cloud metadata endpoint, or undefined. */
export function forbiddenAddressReason(address: string): string | undefined {
  let a = address.toLowerCase();
  // IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64), dotted or in hex as URL parsing writes them.
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  const hex = /^(?:::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (dotted?.[1] !== undefined) a = dotted[1];
  else if (hex?.[1] !== undefined && hex[2] !== undefined) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    a = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  if (METADATA_ADDRESSES.has(a)) return `${address} is a cloud metadata address`;
  if (net.isIPv4(a) && a.startsWith('169.254.')) return `${address} is link-local (169.254.0.0/16)`;
  if (net.isIPv6(a) && /^fe[89ab][0-9a-f]:/.test(a)) return `${address} is link-local (fe80::/10)`;
  return undefined;
}

const defaultLookup = (host: string) => dns.promises.lookup(host, { verbatim: true });

/** Judges one URL (the first request or a redirect): scheme, domain lists, the resolved address. */
export async function judgeUrl(raw: string, options: HttpPolicyOptions): Promise<HttpJudgement> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { decision: block(`"${raw}" is not a valid absolute URL`), host: '' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { decision: block(`${url.protocol} URLs are refused; only http:// and https:// are allowed`), host: url.hostname };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const allowMeta = options.allowMetadataAddresses;
  if (!allowMeta && METADATA_HOSTS.has(host.toLowerCase().replace(/\.$/, ''))) {
    return { decision: block(`${host} is a cloud metadata endpoint`), url, host };
  }
  if (options.allowedDomains.length > 0 && !options.allowedDomains.some((d) => domainMatches(host, d))) {
    return { decision: block(`${host} is not in http_allowed_domains (${options.allowedDomains.join(', ')})`), url, host };
  }
  let address: string;
  let family: number;
  if (net.isIP(host) !== 0) {
    address = host;
    family = net.isIP(host);
  } else {
    try {
      ({ address, family } = await (options.lookup ?? defaultLookup)(host));
    } catch (err) {
      return { decision: block(`${host} could not be resolved (${(err as NodeJS.ErrnoException).code ?? String(err)})`), url, host };
    }
  }
  const forbidden = forbiddenAddressReason(address);
  if (forbidden !== undefined && !allowMeta) return { decision: block(forbidden), url, host, address, family };
  const grantKey = `http:${host.toLowerCase()}`;
  if (options.autoApproveDomains.some((d) => domainMatches(host, d))) return { decision: allow(`${host} is an auto-approved domain`), url, host, address, family, grantKey };
  return { decision: ask(`request to ${host}`, grantKey), url, host, address, family, grantKey };
}
