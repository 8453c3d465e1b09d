#!/usr/bin/env node
// The bins run the compiled output (`npm run build`, done on install): no on-the-fly transpiling.
import '../dist/hub/main.js';
