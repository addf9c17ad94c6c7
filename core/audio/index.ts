/** Audio input: WAV decoding, resampling to the model rate, phrase assembly and padding. */

export * from './phrase';
export * from './resample';
export * from './wav';
