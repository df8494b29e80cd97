/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (the tables' owner). With
 * APP_DATABASE_PASSWORD set it also creates or updates the login role the worker and the server
 * connect as (`suifang_application`, owning no table: db/app-role.ts), as docker-compose.yml does.
 */
import { ensureApplicationLogin } from '../db/app-role.js';
import { migrate } from '../db/migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set (npm start migrates its local database by itself)');
  process.exit(1);
}
const applied = await migrate(url);
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
if (process.env.APP_DATABASE_PASSWORD) {
  await ensureApplicationLogin(url, process.env.APP_DATABASE_PASSWORD);
  console.log('application login role suifang_application is ready');
}
