/** The target a project renders for: dbt's `target` in templates. */
export interface TargetInfo {
  name: string;
  type: string;
  schema: string;
  database: string;
  threads: number;
  profile_name: string;
}
