/**
 * Gateway API kinds as their CRDs define them: a new Gateway or GatewayClass is stored with the
 * CRDs' default status (`Accepted`/`Programmed` Unknown, reason Pending, "Waiting for controller"),
 * which is what a Gateway of a class no controller serves keeps; a GatewayClass's `controllerName`
 * is immutable; a Gateway's listener names are unique (the CRD's list-map key); an HTTPRoute rule's
 * `backendRequest` timeout is no longer than its `request` timeout (the CRD's CEL rule).
 */
import type { FieldCause, Gateway, GatewayClass, HTTPRoute, KubeObject } from '../../../api/index.js';
import { gatewayDurationMs } from '../../../api/index.js';
import type { KindRules } from './strategy.js';

/** The CRDs' default condition: nothing has looked at the object yet. */
const pending = (type: string) => ({
  type,
  status: 'Unknown' as const,
  reason: 'Pending',
  message: 'Waiting for controller',
  lastTransitionTime: '1970-01-01T00:00:00Z',
});

export const gatewayClassStrategy: KindRules = {
  statusOnCreate: () => ({ conditions: [pending('Accepted')] }),
  validateUpdate: (cur: KubeObject, next: KubeObject): FieldCause[] => {
    const was = (cur as GatewayClass).spec.controllerName;
    const now = (next as GatewayClass).spec.controllerName;
    return was === now
      ? []
      : [
          {
            field: 'spec.controllerName',
            message: 'Invalid value: "string": Value is immutable',
            reason: 'FieldValueInvalid',
          },
        ];
  },
};

export const gatewayStrategy: KindRules = {
  statusOnCreate: () => ({ conditions: [pending('Accepted'), pending('Programmed')] }),
  validate: (obj: KubeObject): FieldCause[] => {
    const seen = new Set<string>();
    const causes: FieldCause[] = [];
    (obj as Gateway).spec.listeners.forEach((l, i) => {
      if (seen.has(l.name))
        causes.push({
          field: `spec.listeners[${i}]`,
          message: `Duplicate value: map[string]interface {}{"name":"${l.name}"}`,
          reason: 'FieldValueDuplicate',
        });
      seen.add(l.name);
    });
    return causes;
  },
};

export const httpRouteStrategy: KindRules = {
  validate: (obj: KubeObject): FieldCause[] => {
    const causes: FieldCause[] = [];
    (obj as HTTPRoute).spec.rules?.forEach((r, i) => {
      const request = r.timeouts?.request ? gatewayDurationMs(r.timeouts.request) : 0;
      const backend = r.timeouts?.backendRequest ? gatewayDurationMs(r.timeouts.backendRequest) : 0;
      if (request > 0 && backend > request)
        causes.push({
          field: `spec.rules[${i}].timeouts`,
          message: 'Invalid value: "object": backendRequest timeout cannot be longer than request timeout',
          reason: 'FieldValueInvalid',
        });
    });
    return causes;
  },
};
