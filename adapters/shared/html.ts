/** Text made safe to place in HTML, in an element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** An amount as a person reads it (₹4165.00, $49.00, 12.00 EUR), ready to place in HTML. */
export function moneyHtml(amount: { readonly amountMinor: number; readonly currency: string }): string {
  const major = (amount.amountMinor / 100).toFixed(2);
  return amount.currency === 'INR' ? `₹${major}` : amount.currency === 'USD' ? `$${major}` : `${major} ${escapeHtml(amount.currency)}`;
}
