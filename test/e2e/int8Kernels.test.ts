/** The int8 kernel family that selects the e2e test's known misses (examples.ts). */
import { int8Kernels, type KnownMisses, knownMissesHere } from './examples';

const cpu = (flags: string) => `processor\t: 0\nmodel name\t: test\nflags\t\t: fpu sse2 ${flags}\n\nprocessor\t: 1\n`;
const onX64 = process.arch === 'x64' ? it : it.skip;

describe('int8 kernel family', () => {
  onX64('tells VNNI (AVX-512 or AVX) from plain AVX2, and knows no list for AVX-512 without VNNI', () => {
    expect(int8Kernels(cpu('avx2 avx512f avx512bw avx512_vnni'))).toBe('vnni');
    expect(int8Kernels(cpu('avx2 avx_vnni'))).toBe('vnni');
    expect(int8Kernels(cpu('avx avx2 fma'))).toBe('avx2');
    expect(int8Kernels(cpu('avx2 avx512f avx512bw'))).toBeUndefined();
    expect(int8Kernels(cpu('sse4_2'))).toBeUndefined();
  });

  it('refuses, naming the family and the tool that records a list, where none was measured', () => {
    const known: KnownMisses = { model: 'm@1', sha256: 'x', items: 1, misses: { vnni: [] } };
    expect(knownMissesHere(known, 'vnni')).toEqual([]);
    expect(() => knownMissesHere(known, 'avx2')).toThrow(/no known misses recorded for int8 kernels "avx2".*tools\/examples\/misses\.ts/);
    expect(() => knownMissesHere(known, undefined)).toThrow(/"unknown"/);
  });

  it('uses the one list of a model whose arithmetic does not depend on the CPU, whatever the family', () => {
    const miss = { example: 'e', phraseIndex: 0, position: 0, item: 'a_letter', expected: 'correct', actual: 'omitted' };
    const known: KnownMisses = { model: 'm@1', sha256: 'x', items: 1, misses: { all: [miss] } };
    expect(knownMissesHere(known, 'avx2')).toEqual([miss]);
    expect(knownMissesHere(known, undefined)).toEqual([miss]);
  });
});
