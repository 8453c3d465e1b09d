#!/usr/bin/env node
// The edge-node agent; runs the compiled JavaScript (`npm run build`).
import '../dist/edge-node/main.js';
