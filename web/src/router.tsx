// Routes: the sign-in pages, and the areas inside the shell, each its own chunk.
import { createBrowserRouter } from 'react-router';
import { Shell } from './components/Shell';
import { RouteError } from './components/RouteError';

// Every route loads lazily: nothing to show while the first one's chunk arrives.
const HydrateFallback = () => null;

export const router = createBrowserRouter([
  { path: '/login', HydrateFallback, lazy: () => import('./routes/auth/Login').then((module) => ({ Component: module.Login })) },
  { path: '/register', HydrateFallback, lazy: () => import('./routes/auth/Register').then((module) => ({ Component: module.Register })) },
  { path: '/accept-invitation', HydrateFallback, lazy: () => import('./routes/auth/AcceptInvitation').then((module) => ({ Component: module.AcceptInvitation })) },
  { path: '/verify-email', HydrateFallback, lazy: () => import('./routes/auth/VerifyEmail').then((module) => ({ Component: module.VerifyEmail })) },
  { path: '/forgot-password', HydrateFallback, lazy: () => import('./routes/auth/ForgotPassword').then((module) => ({ Component: module.ForgotPassword })) },
  { path: '/reset-password', HydrateFallback, lazy: () => import('./routes/auth/ResetPassword').then((module) => ({ Component: module.ResetPassword })) },
  { path: '/auth/callback', HydrateFallback, lazy: () => import('./routes/auth/GithubCallback').then((module) => ({ Component: module.GithubCallback })) },
  {
    path: '/',
    Component: Shell,
    HydrateFallback,
    ErrorBoundary: RouteError,
    children: [
      { index: true, lazy: () => import('./routes/CommandCenter').then((module) => ({ Component: module.CommandCenter })) },
      { path: 'agents/*', lazy: () => import('./routes/agents/AgentsArea').then((module) => ({ Component: module.AgentsArea })) },
      { path: 'development/*', lazy: () => import('./routes/development/DevelopmentArea').then((module) => ({ Component: module.DevelopmentArea })) },
      { path: 'design', lazy: () => import('./routes/Design').then((module) => ({ Component: module.Design })) },
      { path: 'team', lazy: () => import('./routes/Team').then((module) => ({ Component: module.Team })) },
      { path: 'social', lazy: () => import('./routes/Social').then((module) => ({ Component: module.Social })) },
      { path: 'intelligence', lazy: () => import('./routes/Intelligence').then((module) => ({ Component: module.Intelligence })) },
      { path: 'graphiql', lazy: () => import('./routes/graphiql/GraphiQLPage').then((module) => ({ Component: module.GraphiQLPage })) },
      { path: 'integrations', lazy: () => import('./routes/Integrations').then((module) => ({ Component: module.Integrations })) },
      { path: 'settings/*', lazy: () => import('./routes/settings/SettingsArea').then((module) => ({ Component: module.SettingsArea })) },
      { path: '*', lazy: () => import('./routes/NotFound').then((module) => ({ Component: module.NotFound })) },
    ],
  },
]);
