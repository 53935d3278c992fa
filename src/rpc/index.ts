// The RPC layer's public surface: server, client, codecs, error mapping, metrics.
export { RpcServer, DEFAULT_MAX_BODY_BYTES } from "./server.ts";
export type { CallContext, Handler, RpcServerOptions } from "./server.ts";
export { RpcClient, failureReason } from "./client.ts";
export type { CallOptions, Credentials, RpcClientOptions } from "./client.ts";
export { ANONYMOUS, INTERNAL, SECRET_HEADER, TOKEN_HEADER, USER_HEADER, safeEqual } from "./auth.ts";
export type { AuthMode, Principal } from "./auth.ts";
export {
  JSON_TYPE, PROTOBUF, decode, decodeJson, encode, encodeJson, fromJsonValue, messageType,
} from "./codec.ts";
export type { DeepPartial, MessageName, MessageType } from "./codec.ts";
export { STATUS_BY_CODE, codeForStatus, errorFromWire, errorToWire, statusForCode } from "./errors.ts";
export type { WireError } from "./errors.ts";
export {
  Counter, CounterChild, DEFAULT_BUCKETS, Gauge, GaugeChild, Histogram, HistogramChild, MetricsRegistry,
} from "./metrics.ts";
export type { Sample } from "./metrics.ts";
export { METHODS } from "./gen/methods.ts";
export type { MethodName, Methods, Plain } from "./gen/methods.ts";
