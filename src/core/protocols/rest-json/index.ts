export { restJson1 } from "./rest-json.js";
