/** CTC decoding: logits to a hypothesis of catalog elements with confidences and times. */
export * from './ctc';
export * from './segment';
