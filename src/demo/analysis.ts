/**
 * The demo target's "analysis": plausible-looking area data that is a pure function of the
 * (normalised) address and radius, so the same key always yields the same numbers.
 */
import { mulberry32 } from '../util/random.js';

export interface Analysis {
  address: string;
  radius_miles: number;
  generated_at: string;
  demographics: {
    population: number;
    households: number;
    median_age: number;
    median_household_income: number;
    growth_rate_percent: number;
  };
  housing: {
    median_home_value: number;
    median_rent: number;
    owner_occupied_percent: number;
    vacancy_rate_percent: number;
  };
  businesses: {
    count: number;
    top_categories: { category: string; count: number }[];
  };
  traffic: {
    average_daily_vehicles: number;
    peak_hour: string;
    congestion_index: number;
    walk_score: number;
    transit_score: number;
  };
  schools: { name: string; level: string; rating: number; distance_miles: number }[];
}

const CATEGORIES = [
  'restaurants',
  'retail',
  'healthcare',
  'professional services',
  'automotive',
  'fitness',
  'education',
  'financial services',
  'grocery',
  'personal care',
];
const SCHOOL_NAMES = ['Lincoln', 'Maple Grove', 'Riverside', 'Oakwood', 'Hillcrest', 'Washington', 'Cedar Park', 'Lakeview'];
const SCHOOL_LEVELS = ['Elementary', 'Middle', 'High'];

/** 32-bit FNV-1a: cheap, stable across runs and platforms. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** `address` must already be normalised; `generatedAt` is epoch ms of when the work was done. */
export function buildAnalysis(address: string, radiusMiles: number, generatedAt: number): Analysis {
  const rand = mulberry32(fnv1a(`${address}|${radiusMiles}`));
  const between = (min: number, max: number): number => min + rand() * (max - min);
  const int = (min: number, max: number): number => Math.floor(between(min, max + 1));

  // Counts grow with the area covered, not linearly with the radius.
  const area = Math.PI * radiusMiles * radiusMiles;
  const density = between(200, 6000);
  const population = Math.max(1, Math.round(area * density));
  const businessCount = Math.max(1, Math.round(population * between(0.02, 0.06)));

  const shares = CATEGORIES.map((category) => ({ category, weight: rand() }));
  shares.sort((a, b) => b.weight - a.weight);
  const top = shares.slice(0, 5);
  const totalWeight = shares.reduce((sum, share) => sum + share.weight, 0);

  const schoolCount = int(2, 6);
  const schools: Analysis['schools'] = [];
  for (let i = 0; i < schoolCount; i++) {
    const level = SCHOOL_LEVELS[int(0, SCHOOL_LEVELS.length - 1)] ?? 'Elementary';
    const name = SCHOOL_NAMES[int(0, SCHOOL_NAMES.length - 1)] ?? 'Lincoln';
    schools.push({
      name: `${name} ${level} School`,
      level: level.toLowerCase(),
      rating: round(between(4, 10), 1),
      distance_miles: round(between(0.1, radiusMiles), 2),
    });
  }
  schools.sort((a, b) => a.distance_miles - b.distance_miles);

  return {
    address,
    radius_miles: radiusMiles,
    generated_at: new Date(generatedAt).toISOString(),
    demographics: {
      population,
      households: Math.max(1, Math.round(population / between(2.1, 3.2))),
      median_age: round(between(28, 52), 1),
      median_household_income: int(38_000, 165_000),
      growth_rate_percent: round(between(-1.5, 4.5), 2),
    },
    housing: {
      median_home_value: int(150_000, 1_250_000),
      median_rent: int(900, 4_200),
      owner_occupied_percent: round(between(35, 85), 1),
      vacancy_rate_percent: round(between(2, 12), 1),
    },
    businesses: {
      count: businessCount,
      top_categories: top.map((share) => ({
        category: share.category,
        count: Math.max(1, Math.round((businessCount * share.weight) / totalWeight)),
      })),
    },
    traffic: {
      average_daily_vehicles: int(4_000, 95_000),
      peak_hour: rand() < 0.5 ? '08:00' : '17:00',
      congestion_index: round(between(0.1, 1), 2),
      walk_score: int(5, 99),
      transit_score: int(0, 95),
    },
    schools,
  };
}
