/** CTC decoding: logits to a hypothesis of catalog elements with confidences and times, and CTC likelihoods over windows. */
export * from './ctc';
export * from './ctcForward';
export * from './segment';
