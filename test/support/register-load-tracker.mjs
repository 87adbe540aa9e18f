import { register } from 'node:module';
register(new URL('./load-tracker.mjs', import.meta.url));
