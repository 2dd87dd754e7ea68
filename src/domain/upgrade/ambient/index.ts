/** Ambient meshes (ztunnel, istio-cni, waypoints): the pure rules of their upgrade (ADR 20). */
export * from './data-plane.js';
export * from './node-waves.js';
export * from './plan.js';
export * from './refusal.js';
export * from './skew.js';
export * from './upgrade.js';
