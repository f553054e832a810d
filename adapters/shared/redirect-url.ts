/** The URL with one query parameter added (or replaced), everything else kept as it was. */
export function withQueryParam(url: URL, name: string, value: string): string {
  const copy = new URL(url.href);
  copy.searchParams.set(name, value);
  return copy.href;
}
