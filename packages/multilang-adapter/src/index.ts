export * from './protocol/messages';
export { parseChildLine, parseDaemonLine } from './protocol/parseLine';
export { LineSplitter, type LineSplitterEvents } from './protocol/LineSplitter';
