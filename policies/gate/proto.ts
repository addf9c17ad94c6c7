/**
 * The Analyzer gRPC stubs and protobuf well-known types, loaded through @pulumi/pulumi so the
 * messages are instances of the classes its stubs check (`instanceof Empty`).
 */
import { createRequire } from 'node:module';
import * as analyzerRpc from '@pulumi/pulumi/proto/analyzer_grpc_pb';
import * as analyzer from '@pulumi/pulumi/proto/analyzer_pb';

const fromPulumi = createRequire(require.resolve('@pulumi/pulumi/proto/analyzer_pb'));

/** google.protobuf.Struct as @pulumi/pulumi's stubs use it. */
export const { Struct } = fromPulumi('google-protobuf/google/protobuf/struct_pb') as typeof import('google-protobuf/google/protobuf/struct_pb');
/** google.protobuf.Empty as @pulumi/pulumi's stubs use it. */
export const { Empty } = fromPulumi('google-protobuf/google/protobuf/empty_pb') as typeof import('google-protobuf/google/protobuf/empty_pb');

export { analyzer, analyzerRpc };
