/**
 * `trimtab resources [type]`: the generated reference (docs/reference/) on the terminal, from
 * the same model: resource types, detectors, actions, every option with its type, default and
 * description, the IAM each needs, and whether its change can be undone.
 */
import { Command, Option } from 'commander';
import type { ElementDoc, ResourceDoc } from '../reference/model.ts';

const UNDO = { yes: 'yes', 'best-effort': 'best effort', no: 'no' } as const;

/** Word-wraps text to `width` columns (at least 20), continuation lines indented by `indent`. */
export function wrap(text: string, width: number, indent = ''): string {
  const max = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

export function resourcesListText(resources: ResourceDoc[], width = 100): string {
  const lines: string[] = [];
  for (const r of resources) {
    lines.push(`${r.id}: ${r.title}`);
    lines.push(wrap(`detectors: ${r.detectors.map((d) => d.id).join(', ')}`, width, '  '));
    lines.push(wrap(`actions:   ${r.actions.map((a) => `${a.id} (undo: ${UNDO[a.undo ?? 'no']})`).join(', ') || 'none (report only)'}`, width, '  '));
  }
  lines.push('', 'Options, IAM and undo of each: trimtab resources <resource>   (the same as docs/reference/<resource>.md)');
  return lines.join('\n');
}

function elementText(element: ElementDoc, width: number): string[] {
  const head = element.kind === 'detector' ? `Detector ${element.id}: ${element.title}` : `Action ${element.id}: ${element.title} (undo: ${UNDO[element.undo ?? 'no']}; recommended mode: ${element.defaultMode ?? 'dry-run'})`;
  const lines = [wrap(head, width)];
  if (!element.options.length) lines.push('  No options besides type.');
  for (const o of element.options) {
    const dflt = o.default !== undefined ? `default ${o.default}` : o.required ? 'required' : 'optional';
    lines.push(wrap(`${o.name} (${o.type}; ${dflt})`, width, '  '));
    if (o.description) lines.push(wrap(o.description, width, '      '));
  }
  const iam = element.permissions.map((p) => (p.access === 'write' ? `${p.action} (write, on ${p.resource})` : p.action));
  lines.push(wrap(`IAM: ${iam.length ? iam.join(', ') : 'the listing permissions only'}`, width, '  '));
  return lines;
}

export function resourceDetailText(resource: ResourceDoc, width = 100): string {
  const lines = [
    wrap(`${resource.id}: ${resource.title} (listed ${resource.global ? 'once per account' : 'per region'})`, width),
    wrap(`Listing IAM (every policy on it, scan and run): ${resource.permissions.map((p) => p.action).join(', ')}`, width),
    '',
  ];
  for (const d of resource.detectors) lines.push(...elementText(d, width), '');
  if (!resource.actions.length) lines.push('No actions: policies on this resource type report only.', '');
  for (const a of resource.actions) lines.push(...elementText(a, width), '');
  lines.push(`Guide: docs/resources/${resource.id}.md · reference: docs/reference/${resource.id}.md`);
  return lines.join('\n');
}

export function registerResourceCommands(program: Command): void {
  program
    .command('resources [resource]')
    .description('resource types, detectors and actions; with a resource type: every option (type, default, description), the IAM and undo (docs/reference/)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'markdown', 'json']).default('table'))
    .action(async (id: string | undefined, options: { output: 'table' | 'markdown' | 'json' }) => {
      const { referenceModel, resourceDoc } = await import('../reference/model.ts');
      const resources = id ? [resourceDoc(id)] : referenceModel();
      const width = process.stdout.columns || 100;
      if (options.output === 'json') console.log(JSON.stringify(id ? resources[0] : resources, null, 2));
      else if (options.output === 'markdown') {
        const { indexPage, resourcePage } = await import('../reference/markdown.ts');
        process.stdout.write(id ? resourcePage(resources[0]) : indexPage(resources));
      } else console.log(id ? resourceDetailText(resources[0], width) : resourcesListText(resources, width));
    });
}
