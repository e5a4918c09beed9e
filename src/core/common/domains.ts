/** `host` equals `domain` or is one of its subdomains. */
export function domainMatches(host: string, domain: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/^\*?\./, '').replace(/\.$/, '');
  return h === d || h.endsWith(`.${d}`);
}
