// Apart from serialize.ts, whose declarations import onnx-proto's types: those need protobufjs's
// global `Long` and fail a user's type check under `skipLibCheck: false`.

/** The one default-domain opset every model is emitted for (IR version 8 carries it). */
export const OPSET = 18;
export const IR_VERSION = 8;
export const PRODUCER = 'onnxpipe';
