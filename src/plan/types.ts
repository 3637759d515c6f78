/** A unit of work: one persona visiting one location once. Ids are stable across runs of the same inputs. */
export interface WorkItem {
  /** `persona-slug/location-id/iteration`: stable, so sharding and resume are filters over the same list. */
  id: string;
  persona: string;
  location: string;
  iteration: number;
}
