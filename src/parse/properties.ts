import { ProjectError } from '../core/errors.js';
import { didYouMean } from '../core/util.js';
import type { Project } from '../project/load-project.js';
import type { ModelProperties } from '../project/schemas.js';

export interface DescribedNode {
  props: ModelProperties;
  file: string;
  index: number;
  key: 'models' | 'seeds';
}

export interface VersionedModel {
  versions: { v: string; model: string }[];
  latest: string;
  file: string;
  index: number;
}

/** Descriptions, columns and config of models and seeds from the properties files, by name. */
export interface NodeProperties {
  byName: Map<string, DescribedNode>;
  versioned: Map<string, VersionedModel>;
}

export function parseNodeProperties(project: Project, errors: ProjectError[]): NodeProperties {
  const byName = new Map<string, DescribedNode>();
  const versioned = new Map<string, VersionedModel>();
  for (const { yaml, value } of project.properties) {
    for (const key of ['models', 'seeds'] as const) {
      (value[key] ?? []).forEach((props, index) => {
        const prev = byName.get(props.name);
        if (prev) {
          errors.push(
            new ProjectError('project', `'${props.name}' is described twice: in ${prev.file} and here`, {
              location: yaml.locate([key, index, 'name']),
              source: yaml.source,
            }),
          );
        }
        // A top-level `docs:` is the node's docs config, as dbt patches it (a `config: docs:` wins).
        if (props.docs && !props.config?.docs) props = { ...props, config: { ...props.config, docs: props.docs } };
        byName.set(props.name, { props, file: yaml.file, index, key });
        if (key === 'models' && props.versions?.length) {
          // Each version is its own model file; the properties describe every one of them.
          const versions = props.versions.map((v) => ({ v: String(v.v), model: v.defined_in ?? `${props.name}_v${v.v}` }));
          const latest =
            props.latest_version !== undefined
              ? String(props.latest_version)
              : versions
                  .map((v) => v.v)
                  .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
                  .pop()!;
          versioned.set(props.name, { versions, latest, file: yaml.file, index });
          for (const v of versions) if (!byName.has(v.model)) byName.set(v.model, { props, file: yaml.file, index, key });
        }
      });
    }
  }
  return { byName, versioned };
}

/** A versioned model answers to its name (the latest version) and to `<name>_v<v>` (ref(name, v=…)). */
export function nameVersionedModels(project: Project, versioned: Map<string, VersionedModel>, byName: Map<string, string>, errors: ProjectError[]): void {
  for (const [name, ver] of versioned) {
    for (const v of ver.versions) {
      const id = byName.get(v.model);
      if (!id) {
        const yaml = project.properties.find((x) => x.yaml.file === ver.file)!.yaml;
        errors.push(
          new ProjectError('project', `version ${v.v} of model '${name}' has no model file named ${v.model}.sql`, {
            location: yaml.locate(['models', ver.index, 'versions']),
            hint: `name the file ${name}_v${v.v}.sql, or point to it with 'defined_in:'`,
            source: yaml.source,
          }),
        );
        continue;
      }
      if (!byName.has(`${name}_v${v.v}`)) byName.set(`${name}_v${v.v}`, id);
      if (v.v === ver.latest && !byName.has(name)) byName.set(name, id);
    }
  }
}

/** Properties that describe nothing are likely typos: one warning each. */
export function undescribedWarnings(project: Project, described: Map<string, DescribedNode>, byName: Map<string, string>): string[] {
  const warnings: string[] = [];
  const files = new Set([...project.models.map((m) => m.name), ...project.seeds.map((x) => x.name)]);
  for (const [name, p] of described) {
    // A disabled model's properties are quiet, as in dbt.
    if (!byName.has(name) && !files.has(name)) {
      const yaml = project.properties.find((x) => x.yaml.file === p.file)!.yaml;
      warnings.push(
        `${yaml.file}:${yaml.locate([p.key, p.index, 'name']).line}: '${name}' is described but no ${p.key === 'models' ? 'model' : 'seed'} has that name` +
          (didYouMean(name, byName.keys()) ? ` (${didYouMean(name, byName.keys())})` : ''),
      );
    }
  }
  return warnings;
}
