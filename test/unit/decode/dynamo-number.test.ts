import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalNumber, compareCanonicalNumbers } from '../../../src/decode/dynamo-number.js';
import { decodeErrorOf } from '../../support/decode-errors.js';

const canonical = (text: string) => canonicalNumber(text, 'n');
// -0 and 0 both mean "equal" to Array.prototype.sort.
const sign = (n: number) => (n > 0 ? 1 : n < 0 ? -1 : 0);
const CANONICAL_TEXT = /^(?:0|-?(?:[1-9]\d*|0)(?:\.\d*[1-9])?)$/;

describe('canonicalNumber', () => {
  it.each([
    ['0', '0'],
    ['-0', '0'],
    ['0.000', '0'],
    ['-0.0e5', '0'],
    ['+5', '5'],
    ['0012.3400', '12.34'],
    ['-0012.3400', '-12.34'],
    ['100', '100'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['0.001', '0.001'],
    ['1e5', '100000'],
    ['1.5E+2', '150'],
    ['1234.5e-2', '12.345'],
    ['-2.5e-3', '-0.0025'],
    ['84.84', '84.84'],
  ])('%j → %j', (input, expected) => {
    expect(canonical(input)).toBe(expected);
  });

  it('writes 1E+100 as a 1 followed by 100 zeros', () => {
    expect(canonical('1E+100')).toBe(`1${'0'.repeat(100)}`);
  });

  it("writes 1E-130, DynamoDB's smallest magnitude, as 0. then 129 zeros then 1", () => {
    expect(canonical('1E-130')).toBe(`0.${'0'.repeat(129)}1`);
    expect(canonical('-1E-130')).toBe(`-0.${'0'.repeat(129)}1`);
  });

  it("keeps DynamoDB's largest magnitude exactly", () => {
    expect(canonical('9.9999999999999999999999999999999999999E+125')).toBe(`${'9'.repeat(38)}${'0'.repeat(88)}`);
  });

  it('keeps all 38 significant digits, which a double cannot', () => {
    const digits = '12345678901234567890123456789012345678';
    expect(canonical(digits)).toBe(digits);
    expect(canonical(`-${digits.slice(0, 5)}.${digits.slice(5)}`)).toBe(`-${digits.slice(0, 5)}.${digits.slice(5)}`);
    expect(canonical(`0.${digits}`)).toBe(`0.${digits}`);
    expect(String(Number(digits))).not.toBe(digits);
  });

  it('does not count leading and trailing zeros as significant', () => {
    const digits = '9'.repeat(38);
    expect(canonical(`000${digits}000`)).toBe(`${digits}000`);
    expect(canonical(`0.000${digits}`)).toBe(`0.000${digits}`);
  });

  it('rejects 39 significant digits', () => {
    for (const input of ['1'.repeat(39), `1.${'0'.repeat(37)}1`, `-0.00${'7'.repeat(39)}`]) {
      expect(decodeErrorOf(() => canonical(input)).reason).toBe('number has more than 38 significant digits');
    }
  });

  it.each(['1E+126', '10E+125', '-1E+126', '9E-131', '0.1E-130', '1E+999999999'])('rejects %j as out of range', (input) => {
    expect(decodeErrorOf(() => canonical(input)).reason).toMatch(/^number outside DynamoDB range/);
  });

  it.each(['', ' 1', '1 ', '.', '-', '+', 'e5', '1e', '1e+', '0x10', '1_000', 'NaN', 'Infinity', '1,5', '--1', '1.2.3', '1e1000000000'])(
    'rejects %j as not a number',
    (input) => {
      const error = decodeErrorOf(() => canonicalNumber(input, 'NewImage["price"].N'));
      expect(error.message).toBe(`NewImage["price"].N: not a DynamoDB number: ${JSON.stringify(input)}`);
    },
  );

  it('quotes at most 64 characters of the bad input', () => {
    expect(decodeErrorOf(() => canonical('x'.repeat(1000))).reason).toBe(`not a DynamoDB number: "${'x'.repeat(64)}"`);
  });

  it('is idempotent and agrees with Number() for inputs within double precision', () => {
    fc.assert(
      fc.property(decimalText(15), (input) => {
        const output = canonical(input);
        expect(output).toMatch(CANONICAL_TEXT);
        expect(canonical(output)).toBe(output);
        expect(JSON.parse(output) === Number(input)).toBe(true);
      }),
    );
  });

  it('reads plain decimals (1.50, -0.0) as the exponent form reads them', () => {
    const plain = fc
      .tuple(fc.boolean(), fc.stringMatching(/^(?:0|[1-9]\d{0,15})$/), fc.stringMatching(/^\d{1,15}$/))
      .map(([minus, int, frac]) => `${minus ? '-' : ''}${int}.${frac}`);
    fc.assert(
      fc.property(plain, (input) => {
        // `e0` takes the general path; without it, trailing zeros take the short one.
        expect(canonical(input)).toBe(canonical(`${input}e0`));
      }),
      { numRuns: 2000 },
    );
    expect(['1.50', '2.0', '-0.0', '0.000', '-3.100'].map(canonical)).toEqual(['1.5', '2', '0', '0', '-3.1']);
  });

  it('is idempotent on any accepted input, up to 38 digits', () => {
    fc.assert(
      fc.property(decimalText(38), (input) => {
        const output = canonical(input);
        expect(output).toMatch(CANONICAL_TEXT);
        expect(canonical(output)).toBe(output);
      }),
    );
  });
});

describe('compareCanonicalNumbers', () => {
  it('orders by value, not by text', () => {
    const sorted = ['10', '9', '-1', '1.5', '0', '-10', '0.25', '-0.5', '100', '0.3'].map(canonical).sort(compareCanonicalNumbers);
    expect(sorted).toEqual(['-10', '-1', '-0.5', '0', '0.25', '0.3', '1.5', '9', '10', '100']);
  });

  it('compares values beyond double precision', () => {
    const big = '1'.repeat(38);
    expect(compareCanonicalNumbers(big, `${'1'.repeat(37)}2`)).toBe(-1);
    expect(compareCanonicalNumbers(`0.${'0'.repeat(100)}2`, `0.${'0'.repeat(100)}1`)).toBe(1);
    expect(sign(compareCanonicalNumbers(`-${big}`, `-${big}`))).toBe(0);
  });

  it('agrees with Number comparison on small values', () => {
    const small = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 3 })).map(([n, scale]) => canonical(`${n}e-${scale}`));
    fc.assert(
      fc.property(small, small, (a, b) => {
        expect(sign(compareCanonicalNumbers(a, b))).toBe(sign(Number(a) - Number(b)));
        expect(sign(compareCanonicalNumbers(b, a))).toBe(-sign(compareCanonicalNumbers(a, b)) || 0);
      }),
    );
  });
});

/**
 * Decimal text the way people and DynamoDB write it: optional sign, leading and trailing zeros, a
 * point anywhere, an optional exponent; at most `maxDigits` significant digits, always in range.
 */
function decimalText(maxDigits: number): fc.Arbitrary<string> {
  return fc
    .record({
      sign: fc.constantFrom('', '+', '-'),
      significant: fc.oneof(fc.constant('0'), fc.stringMatching(new RegExp(`^[1-9](\\d{0,${maxDigits - 2}}[1-9])?$`))),
      leadingZeros: fc.integer({ min: 0, max: 3 }),
      trailingZeros: fc.integer({ min: 0, max: 3 }),
      pointFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      exponent: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 80 })), {
        nil: undefined,
      }),
    })
    .map(({ sign, significant, leadingZeros, trailingZeros, pointFraction, exponent }) => {
      const digits = `${'0'.repeat(leadingZeros)}${significant}${'0'.repeat(trailingZeros)}`;
      const point = Math.round(pointFraction * digits.length);
      const mantissa = point === digits.length ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`;
      return `${sign}${mantissa}${exponent ? `${exponent[0]}${exponent[1]}${exponent[2]}` : ''}`;
    });
}
