// The processor errors live in core, so that the MultiLang child side can throw them without
// loading the worker (and the AWS clients) at run time.
export { ProcessorFailedError, ProcessorTimeoutError, type ProcessorCall } from '@shardline/core';
