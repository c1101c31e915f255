// Tests of --pooled-risk (pooledRiskOption): off by default, `on` reserves the documented share of the
// study's rho, a share outside (0, 0.5] is INVALID_ARGUMENT naming the flag.
import { describe, expect, it } from 'vitest';
import { rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { DEFAULT_POOLED_RISK_SHARE, pooledRiskOption } from './studyParameterOptions.js';

describe('pooledRiskOption', () => {
  const rho = rhoFromEpsilon(1, 1e-9);
  it('off is no reservation; on and a share are that share of the study rho', () => {
    expect(pooledRiskOption('off', 1, 1e-9)).toBe(0);
    expect(pooledRiskOption('on', 1, 1e-9)).toBeCloseTo(DEFAULT_POOLED_RISK_SHARE * rho, 15);
    expect(pooledRiskOption('0.25', 1, 1e-9)).toBeCloseTo(0.25 * rho, 15);
  });

  it('refuses anything else, naming --pooled-risk', () => {
    for (const v of ['0', '0.6', '1', '-0.1', 'yes', '']) {
      let err: unknown;
      try {
        pooledRiskOption(v, 1, 1e-9);
      } catch (e) {
        err = e;
      }
      expect(err, v).toBeInstanceOf(FedsynthError);
      expect((err as FedsynthError).code).toBe(ErrorCode.InvalidArgument);
      expect((err as FedsynthError).details.field).toBe('--pooled-risk');
    }
  });
});
