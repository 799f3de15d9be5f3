#!/usr/bin/env node
// Entry point for the `feed` CLI: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
