/**
 * Preloaded (`node --require`) into the policy pack the gate starts, which it spawns with an IPC
 * channel: the channel closes when the gate is gone (even killed with SIGKILL), and the pack then
 * exits instead of serving gRPC forever as an orphan. (Reading stdin instead hangs tsx's loader.)
 */
process.on('disconnect', () => process.exit(0));
