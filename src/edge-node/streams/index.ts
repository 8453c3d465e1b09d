/** Interactive command streams the hub opens on this node (protocol 4). */
export { NodeStreams, type NodeStreamsDeps } from './node-streams.js';
