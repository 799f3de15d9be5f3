import type { ProductTruth, UserTruth, VideoTruth } from './behaviour.ts';
import type { World } from './world/generate.ts';

/** Ground-truth views of world rows, as the behaviour model takes them. */
export function userTruth(world: World, u: number): UserTruth {
  return {
    vec: world.users.vec.subarray(u * world.dim, (u + 1) * world.dim),
    patience: world.users.patience[u]!,
    buyPropensity: world.users.buyPropensity[u]!,
  };
}

export function videoTruth(world: World, i: number, userLocale: number): VideoTruth {
  const creator = world.items.creator[i]!;
  return {
    vec: world.items.vec.subarray(i * world.dim, (i + 1) * world.dim),
    quality: world.items.quality[i]!,
    durationMs: world.items.durationMs[i]!,
    localeMatch: world.creators.locale[creator] === userLocale,
    creatorIsKol: world.creators.isKol[creator] === 1,
  };
}

export function productTruth(world: World, p: number): ProductTruth {
  return { appeal: world.products.appeal[p]!, price: world.products.priceCents[p]! / 100 };
}

/** The centroid of a category: what a product or a live stream of that category is "about". */
export function categoryVec(world: World, category: number): Float32Array {
  return world.centroids.subarray(category * world.dim, (category + 1) * world.dim);
}
