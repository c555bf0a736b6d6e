/** Round dollars to cents for display and totals (its own module: the approval page needs it, not the price table). */
export const usd = (value: number) => Math.round(value * 100) / 100;
