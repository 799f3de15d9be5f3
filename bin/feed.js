#!/usr/bin/env node
// Entry point for the `feed` CLI: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

// One OpenMP/OpenBLAS thread per process: on 2 cores FAISS's and OpenBLAS's own threads fight
// (ENVIRONMENT.md measured 2 threads slower than 1). Set before faiss-node loads; override freely.
process.env.OMP_NUM_THREADS ??= '1';
process.env.OPENBLAS_NUM_THREADS ??= '1';

register();
await import('../cli/main.ts');
