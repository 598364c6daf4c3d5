export * from './startEmulators';
export * from './startKinesisLocal';
export * from './freePort';
export * from './streams';
export * from './faults';
export * from './reshard';
export * from './waitFor';
export * from './useEmulators';
