import * as protobuf from 'protobufjs';

// The KPL's schema as protobufjs reflection: the reference codec the tests check Shardline's
// hand-written one against, byte for byte. Test code only: the package loads no protobufjs.

/**
 * The KPL's proto2 schema (`aws/kinesis/protobuf/messages.proto`), as protobufjs reflection.
 * Shardline's own codec is hand-written for speed and tested byte for byte against this.
 */
export function createAggregatedRecordSchema(): { AggregatedRecord: protobuf.Type; Record: protobuf.Type; Tag: protobuf.Type } {
  // Parsed from .proto text: protobufjs gives JSON-defined schemas proto3 presence rules, which
  // would drop an explicit_hash_key_index of 0 that the KPL writes.
  const { root } = protobuf.parse(KPL_MESSAGES_PROTO, { keepCase: true });
  return {
    AggregatedRecord: root.lookupType('AggregatedRecord'),
    Record: root.lookupType('Record'),
    Tag: root.lookupType('Tag'),
  };
}

/** `aws/kinesis/protobuf/messages.proto` of the KPL (aggregation messages only). */
export const KPL_MESSAGES_PROTO = `syntax = "proto2";
message AggregatedRecord {
  repeated string partition_key_table = 1;
  repeated string explicit_hash_key_table = 2;
  repeated Record records = 3;
}
message Tag {
  required string key = 1;
  optional string value = 2;
}
message Record {
  required uint64 partition_key_index = 1;
  optional uint64 explicit_hash_key_index = 2;
  required bytes data = 3;
  repeated Tag tags = 4;
}
`;
