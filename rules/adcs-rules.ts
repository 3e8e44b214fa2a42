// The AD CS rules, for the registry (rules/index.ts spreads this list into RULES).
import { adcsEsc1 } from "./adcs-esc1.js";
import { adcsEsc13 } from "./adcs-esc13.js";
import { adcsEsc15 } from "./adcs-esc15.js";
import { adcsEsc2 } from "./adcs-esc2.js";
import { adcsEsc3 } from "./adcs-esc3.js";
import { adcsEsc4 } from "./adcs-esc4.js";
import { adcsEsc5 } from "./adcs-esc5.js";
import { adcsEsc9 } from "./adcs-esc9.js";
import { adcsNtauthUnsanctioned } from "./adcs-ntauth-unsanctioned.js";
import type { AdcsRule } from "./adcs-support.js";
import { adcsWeakTemplateKey } from "./adcs-weak-template-key.js";

export const ADCS_RULES: readonly AdcsRule[] = [
  adcsEsc1, adcsEsc2, adcsEsc3, adcsEsc4, adcsEsc5, adcsEsc9, adcsEsc13, adcsEsc15, adcsNtauthUnsanctioned, adcsWeakTemplateKey,
];
