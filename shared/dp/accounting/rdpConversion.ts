// rdpConversion: a PrivacyLoss (zCDP rho plus RDP curve) -> (epsilon, delta)-DP, the tight bound of
// Canonne, Kamath, Steinke 2020 (Prop. 12) = Balle et al. 2020 (Thm 21) minimised over the orders.
import { checkDelta } from './checkPrivacyNumber.js';
import { epsilonFromRdpAtOrder, epsilonFromRho } from './cdpConversion.js';
import { RDP_ORDERS, checkPrivacyLoss, type PrivacyLoss } from './PrivacyLoss.js';

/**
 * The smallest epsilon such that `loss` implies (epsilon, delta)-DP. A pure zCDP loss holds at every
 * alpha and is converted by epsilonFromRho (optimised over continuous alpha); a loss with an RDP part
 * is known only on RDP_ORDERS and takes the minimum of the conversion over those orders (any order
 * is valid, so the grid costs tightness, never privacy).
 */
export function epsilonFromLoss(loss: PrivacyLoss, delta: number): number {
  const l = checkPrivacyLoss(loss);
  checkDelta(delta);
  if (l.rdp === undefined) return epsilonFromRho(l.rho, delta);
  let best = Infinity;
  for (let i = 0; i < RDP_ORDERS.length; i++) {
    const alpha = RDP_ORDERS[i];
    best = Math.min(best, epsilonFromRdpAtOrder(l.rho * alpha + l.rdp[i], delta, alpha));
  }
  return Math.max(0, best);
}
