export * from './base';
export * from './awsClients';
export * from './listShards';
