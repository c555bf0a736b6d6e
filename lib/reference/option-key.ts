/** `<resource>:<detector|action>:<element id>:<option path>` (nested options as `a.b`): how option descriptions are keyed. */
export const optionKey = (resource: string, kind: 'detector' | 'action', element: string, option: string) => `${resource}:${kind}:${element}:${option}`;
